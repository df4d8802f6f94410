# 347: number with an unknown suffix
if size :over 10X { keep; }
