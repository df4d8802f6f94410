# 213: body without require is invalid
if body :contains "x" { keep; }
