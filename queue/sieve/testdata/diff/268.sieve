# 268: :create without require mailbox is invalid
require "fileinto";
fileinto :create "X";
