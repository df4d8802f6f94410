# 230: date of another header field
require ["fileinto", "date", "variables"];
if date :originalzone :is "x-sent" "year" "1999" { fileinto "Y1999"; }
