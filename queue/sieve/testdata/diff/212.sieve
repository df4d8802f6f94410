# 212: body :comparator i;octet
require ["fileinto", "body"];
if body :comparator "i;octet" :contains "SHALL WE MEET" { fileinto "Case"; } else { fileinto "Exact"; }
