# 115: :detail without require subaddress is invalid
require ["envelope", "fileinto"];
if envelope :detail "to" "x" { fileinto "X"; }
