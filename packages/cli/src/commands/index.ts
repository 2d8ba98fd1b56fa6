import type { Command } from 'commander';
import { registerConvert } from './convert';
import { registerDashboard } from './dashboard';
import { registerDemo } from './demo';
import { registerEval } from './eval';
import { registerFinetune } from './finetune';
import { registerGenerate } from './generate';
import { registerInspect } from './inspect';
import { registerKernel } from './kernel';
import { registerQueue } from './queue';
import { registerTrain } from './train';
import { registerWorker } from './worker';
import { registerZoo } from './zoo';

/** Every subcommand's registration, in `igpg --help` order. */
export const commands: ((program: Command) => void)[] = [registerDemo, registerZoo, registerWorker, registerQueue, registerTrain, registerGenerate, registerFinetune, registerConvert, registerEval, registerInspect, registerKernel, registerDashboard];
