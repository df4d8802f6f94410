# 333: two match types
if header :is :contains "subject" "x" { keep; }
