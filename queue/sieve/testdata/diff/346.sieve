# 346: duplicate tagged argument
if header :comparator "i;octet" :comparator "i;octet" "a" "b" { keep; }
