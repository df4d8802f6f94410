# 215: date year with :originalzone
require ["fileinto", "date", "variables"];
if date :originalzone :is "date" "year" "2024" { fileinto "Y2024"; }
