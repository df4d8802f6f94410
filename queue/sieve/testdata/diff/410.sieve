# 410: bracket comment with stars
require "fileinto";
/** a ** comment **/ fileinto /* inside */ "Starred";
