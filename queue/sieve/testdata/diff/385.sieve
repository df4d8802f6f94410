# 385: currentdate julian is after 2024
require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"];
if currentdate :value "ge" :comparator "i;ascii-numeric" "julian" "60310" { fileinto "Recent"; }
