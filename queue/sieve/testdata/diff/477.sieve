# 477: :count without a comparator compares as strings
require ["fileinto", "relational"];
if header :count "gt" "received" "10" { fileinto "StrGT"; } else { fileinto "StrLE"; }
