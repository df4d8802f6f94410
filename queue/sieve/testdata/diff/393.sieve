# 393: header name with a colon
if header :is "a:b" "x" { keep; }
