# 479: header with an empty header name
if header :contains "" "x" { keep; }
