# 096: address :matches domain with variables
require ["fileinto", "variables"];
if address :matches "from" "*@*" { fileinto "by-${2}"; }
