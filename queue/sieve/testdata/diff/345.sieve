# 345: address with an invalid header name
if address :is "From Me" "x" { keep; }
