# 034: empty block
if true { }
