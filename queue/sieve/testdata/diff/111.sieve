# 111: subaddress empty detail
require ["envelope", "subaddress", "fileinto"];
if envelope :detail :is "to" "" { fileinto "EmptyDetail"; } else { fileinto "No"; }
