# 183: variables across :matches on address
require ["fileinto", "variables"];
if address :matches "from" "*@*.*" { fileinto "${3}.${2}.${1}"; }
