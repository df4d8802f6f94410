# 104: envelope without require is invalid
if envelope :is "from" "a@b" { keep; }
