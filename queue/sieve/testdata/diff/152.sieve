# 152: ascii-numeric comparator without require is invalid
if header :is :comparator "i;ascii-numeric" "x" "1" { keep; }
