# 340: empty test list
if anyof () { keep; }
