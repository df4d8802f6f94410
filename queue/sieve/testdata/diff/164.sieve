# 164: set :quotewildcard :length
require ["fileinto", "variables"];
set :length :quotewildcard "n" "a*b";
fileinto "len-${n}";
