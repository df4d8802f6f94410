# 151: unknown comparator is invalid
if header :is :comparator "i;unknown" "subject" "x" { keep; }
