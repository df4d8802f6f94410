# 487: test list with a trailing comma is invalid
if anyof (true, ) { keep; }
