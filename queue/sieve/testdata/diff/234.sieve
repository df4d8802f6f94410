# 234: currentdate year is recent
require ["fileinto", "date", "relational"];
if currentdate :value "ge" "year" "2024" { fileinto "Now"; }
