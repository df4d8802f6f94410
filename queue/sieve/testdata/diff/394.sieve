# 394: exists with a header name holding a space
if exists "bad name" { keep; }
