# 129: size without a tag is invalid
if size 100 { keep; }
