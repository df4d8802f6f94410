# 339: if without a test
if { keep; }
