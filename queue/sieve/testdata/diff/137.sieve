# 137: :value with a negative number: leading minus is not a digit
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "gt" :comparator "i;ascii-numeric" "x-negative" "1000" { fileinto "Inf"; } else { fileinto "No"; }
