# 114: subaddress with two separators: detail after the first
require ["envelope", "subaddress", "fileinto", "variables"];
if envelope :detail :matches "to" "*" { fileinto "d-${1}"; }
if envelope :user :matches "to" "*" { fileinto "u-${1}"; }
