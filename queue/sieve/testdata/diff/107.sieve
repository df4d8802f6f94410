# 107: envelope :matches captures
require ["envelope", "fileinto", "variables"];
if envelope :matches "to" "*@*" { fileinto "for-${1}"; }
