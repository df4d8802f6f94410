# 414: number too large is invalid
if size :over 99999999999999999999999 { keep; }
