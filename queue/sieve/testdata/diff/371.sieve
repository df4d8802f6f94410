# 371: :quotewildcard makes a value literal in a :matches key
require ["fileinto", "variables"];
set :quotewildcard "lit" "a*b";
if header :matches "x-pattern" "${lit}" { fileinto "Exact"; } else { fileinto "No"; }
