# 227: date :value ge with relational
require ["fileinto", "date", "relational"];
if date :originalzone :value "ge" "date" "date" "2023-12-31" { fileinto "After"; }
