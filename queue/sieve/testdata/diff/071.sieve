# 071: address :all with i;octet keeps case
require "fileinto";
if address :all :comparator "i;octet" :is "from" "Alice@example.net" { fileinto "Yes"; } else { fileinto "No"; }
