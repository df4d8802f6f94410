# 266: fileinto :create
require ["fileinto", "mailbox"];
fileinto :create "New.Folder";
