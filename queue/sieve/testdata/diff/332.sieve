# 332: unknown tag
if header :bogus "subject" "x" { keep; }
