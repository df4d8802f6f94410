# 110: subaddress :detail when there is no separator does not match
require ["envelope", "subaddress", "fileinto"];
if envelope :detail :matches "to" "*" { fileinto "HasDetail"; } else { fileinto "NoDetail"; }
