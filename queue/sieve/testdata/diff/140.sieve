# 140: :value gt with the default casemap comparator compares strings
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :value "gt" "x-spam-score" "9" { fileinto "StrGT"; } else { fileinto "StrLE"; }
