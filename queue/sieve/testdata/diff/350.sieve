# 350: missing comma in a string list
require ["fileinto" "copy"];
