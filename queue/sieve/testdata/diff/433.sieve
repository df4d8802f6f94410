# 433: envelope :all with i;octet
require ["envelope", "fileinto"];
if envelope :comparator "i;octet" :is "to" "ME@example.com" { fileinto "CS"; } else { fileinto "Exact"; }
