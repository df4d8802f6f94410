# 437: i;ascii-numeric with :matches is invalid
require ["relational", "comparator-i;ascii-numeric"];
if header :matches :comparator "i;ascii-numeric" "x" "1*" { keep; }
