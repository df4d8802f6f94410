# 462: discard then fileinto
require "fileinto";
discard;
fileinto "After";
