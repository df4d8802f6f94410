# 235: currentdate is before 2100
require ["fileinto", "date", "relational"];
if currentdate :zone "+0000" :value "lt" "date" "2100-01-01" { fileinto "Before2100"; }
