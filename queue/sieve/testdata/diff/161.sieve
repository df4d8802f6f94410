# 161: set :length
require ["fileinto", "variables"];
set :length "n" "hello";
fileinto "len-${n}";
