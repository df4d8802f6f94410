# 147: relational without require is invalid
if header :value "gt" "x" "1" { keep; }
