# 488: string list with a trailing comma is invalid
if header :is ["subject", ] "x" { keep; }
