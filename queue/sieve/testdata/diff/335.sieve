# 335: command used as a test
if keep { discard; }
