# 489: empty string list is invalid
if header :is [] "x" { keep; }
