# 130: :value gt numeric
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "10" { fileinto "Spam"; }
