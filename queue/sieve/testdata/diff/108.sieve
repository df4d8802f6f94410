# 108: subaddress :detail of envelope to
require ["envelope", "subaddress", "fileinto", "variables"];
if envelope :detail :matches "to" "*" { fileinto "sub-${1}"; }
