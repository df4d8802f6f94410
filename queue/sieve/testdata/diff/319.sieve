# 319: regex without require is invalid
if header :regex "subject" "x" { keep; }
