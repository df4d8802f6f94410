# 149: i;ascii-numeric with :contains is invalid
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :contains :comparator "i;ascii-numeric" "x" "1" { keep; }
